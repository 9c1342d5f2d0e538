"""hubdir: validate a place's mass-organization registries and publish them as a site and open data."""

__version__ = "0.1.0"
