"""What people read: the status document and line, the demo summary."""
