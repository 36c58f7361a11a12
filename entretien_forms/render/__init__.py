"""Renderers: draw a compiled form layout, filled for one employee, as a .docx or a .pdf."""
