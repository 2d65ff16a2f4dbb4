"""The page, panel by panel.

Each module builds one panel's components, wires the events that stay inside
it, and returns a small dataclass of the components other panels need;
``wire_*`` functions connect a panel to the others. ``app.py`` lays the
panels out and calls these. ``browser`` holds the page's few lines of
JavaScript and explains why the editor is read the way it is.
"""
