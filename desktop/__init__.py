"""OS integration adapters: screen capture (later the clipboard and launching apps), behind the core's ports and
composed in assistant.bootstrap."""
