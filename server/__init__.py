"""Loupe HTTP server (aiohttp) — a thin layer over `engine`."""
