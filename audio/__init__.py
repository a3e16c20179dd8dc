"""Audio adapters: files, devices, resampling, voice activity."""
