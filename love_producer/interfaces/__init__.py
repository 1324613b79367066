"""SAL interface descriptions (components, topics, fields, units), read from ts_xml or from the
built-in JSON, and component identities (``Name:index``)."""
