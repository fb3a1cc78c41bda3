"""Scrapy settings of the wiredupe crawler (``SCRAPY_SETTINGS_MODULE=crawler.settings``).

Every value is a default for a polite nightly crawl of news sites; the caller
overrides any of them per crawl with ``-s KEY=VALUE`` (see
:func:`crawler.run.crawl_command`).
"""

BOT_NAME = "wiredupe"
SPIDER_MODULES = ["crawler.spiders"]  # the one generic spider, "wire"
NEWSPIDER_MODULE = "crawler.spiders"

# Say who we are and where to complain: publishers block anonymous bots first.
USER_AGENT = "wiredupe/0.1 (+https://github.com/wiredupe/wiredupe)"
# Honour the publisher's robots.txt, matched against our own product token.
ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = "wiredupe"

# Politeness: few parallel requests per site, and back off when the site slows down.
CONCURRENT_REQUESTS = 16  # across all sites of a source
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # a news site is one host; two is what a reader's browser does
DOWNLOAD_DELAY = 0.5  # floor between requests to one host, also AutoThrottle's minimum
AUTOTHROTTLE_ENABLED = True  # adapt the delay to the server's latency
AUTOTHROTTLE_START_DELAY = 1.0  # first delay before AutoThrottle has measured anything
AUTOTHROTTLE_MAX_DELAY = 30.0  # a slow site is slowed further, but a run must still end
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0  # one request in flight per site on average

# Transient failures: retry 5xx, 408, 429 and timeouts, twice, then record the failure.
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"  # a failure the fetch log records is not a crawler error
# Exponential backoff (crawler.retry): an overloaded site gets 2 s, then 4 s, before a retry.
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0  # never park a request for longer than a minute
DOWNLOAD_TIMEOUT = 30  # seconds; a news page that takes longer is not worth the slot
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # 10 MB: no article or feed is bigger, a video is
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024  # log pages that are unusually large
REDIRECT_MAX_TIMES = 5  # news URLs redirect once or twice (http->https, slug changes)

# Plain sitemaps list a site's whole archive: only entries whose <lastmod> is within the
# last week are articles of the night (entries without a lastmod are kept); 0 keeps all.
WIREDUPE_LASTMOD_DAYS = 7

# Conditional requests across nights for feeds and sitemaps (crawler.cache): the HTTP
# cache is off here, crawl_command(cache_dir=...) turns it on with a persistent folder.
HTTPCACHE_ENABLED = False
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"  # revalidate with ETag/dates
HTTPCACHE_STORAGE = "scrapy.extensions.httpcache.FilesystemCacheStorage"

# Articles are public pages: cookies only bring consent walls and tracking.
COOKIES_ENABLED = False
# Operations: no remote console on a server; INFO says what was fetched without noise.
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19 starts an HTTP server that runs Python sent to it (token in a job file): off.
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
# The asyncio reactor, so `async def` callbacks and `start()` run natively.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

DOWNLOADER_MIDDLEWARES = {
    # Between RedirectMiddleware (600) and HttpCompressionMiddleware (590): sees final
    # responses before their body is decoded, to archive the headers as received.
    "crawler.middlewares.WireCaptureMiddleware": 595,
    # Next to RetryMiddleware (550): retried requests wait 2 s, 4 s... before going out.
    "crawler.retry.RetryBackoffMiddleware": 551,
    # An article redirected to a URL stored by an earlier run is not downloaded again.
    "crawler.redirects.SeenRedirectMiddleware": 560,
    # Scrapy's HTTP cache, narrowed to feeds and sitemaps, at its own priority.
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
    "crawler.cache.DiscoveryCacheMiddleware": 900,
}
EXTENSIONS = {
    # robots.txt Crawl-delay becomes the host's delay; AutoThrottle keeps it as a floor.
    "crawler.throttle.RobotsCrawlDelay": 0,
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.throttle.FlooredAutoThrottle": 0,
}
ITEM_PIPELINES = {
    "crawler.archive.WarcArchivePipeline": 100,  # archive first: the WARC is the record
    "crawler.fetchlog.FetchLogPipeline": 200,
}
