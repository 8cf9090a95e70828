"""Searching the library. (Being written: PostgreSQL full-text search with
ranking and highlighted snippets, and a SQLite fallback.)"""
