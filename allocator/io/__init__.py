"""Files: the plan folder written atomically, CSV text, model export."""
