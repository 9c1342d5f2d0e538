"""hubdir: validate Shunde's mass-organization registries and publish them as a site and open data."""

__version__ = "0.1.0"
