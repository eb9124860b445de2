"""newsdigest: turn a folder of pasted news stories into a static site."""

__version__ = "0.1.0"
