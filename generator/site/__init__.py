"""The public directory site: page model, templates, the mkdocs-material layer, search and map."""
