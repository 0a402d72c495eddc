"""Where stored objects point.

URLs inside stored objects (`self`, `url`, `after_url`, ...) start with BASE, a
placeholder; the server swaps it for the address each request came to, so links
lead back to this sandbox whatever port it runs on.
"""

BASE = "http://sandbox.invalid"
