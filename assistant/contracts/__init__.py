"""The core's contracts: the data types, ports (Protocols), errors and events that adapters (``audio/``,
``models/``, ``desktop/``) and front-ends (``ui/``) may import. Nothing in here imports the rest of the core."""
