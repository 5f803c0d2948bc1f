"""allocator: quarterly marketing budget and sales-target planning as a linear program."""

__version__ = "0.1.0"
