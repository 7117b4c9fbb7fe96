"""Real-browser tests: JupyterLab in Debian's chromium through Playwright (see conftest.py, lab.py)."""
