"""The I/O edges: SAL sources, the websocket link, the frame pipe, journal files, the
interface catalog, process bookkeeping. They import no actor."""
