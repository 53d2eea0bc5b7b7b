"""The shell: the commands that start, serve and demonstrate the whole system (they may import every app)."""
