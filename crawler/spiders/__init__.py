"""Scrapy spiders of the crawler: the one generic spider, ``wire``."""
