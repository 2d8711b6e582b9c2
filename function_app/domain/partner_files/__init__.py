"""What goes into a partner file: the field catalogue, records with PII applied, and the file formats."""
