"""Guide pages: plain-language articles imported from documents and kept in the admin."""
