"""The page's sections. Each draws widgets and figures; none computes model quantities."""
