"""A real Chromium (Debian's package) driven by Playwright, for browser tests.

One browser serves the whole test session. Playwright's sync API keeps an asyncio event loop
running in the thread that started it, and Django keys its database connections by async
context, so the browser lives in a thread of its own: tests hold proxies whose every call is
run in that thread. The test thread never sees the event loop, and database access in tests,
fixtures and the live server stays ordinary synchronous Django.
"""

from concurrent.futures import ThreadPoolExecutor

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


class BrowserThread:
    """Playwright and one headless Chromium, running in a dedicated thread."""

    def __init__(self):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")
        self._playwright = self.call(self._start_playwright)
        self.browser = Remote(
            self,
            self.call(
                self._playwright.chromium.launch,
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
            ),
        )

    @staticmethod
    def _start_playwright():
        from playwright.sync_api import sync_playwright

        return sync_playwright().start()

    def call(self, function, *args, **kwargs):
        return self._executor.submit(function, *args, **kwargs).result()

    def close(self):
        self.browser.close()
        self.call(self._playwright.stop)
        self._executor.shutdown()


class Remote:
    """A Playwright object used from another thread: attribute reads and calls run in the
    browser's thread; Playwright objects they return come back wrapped the same way."""

    __slots__ = ("_target", "_thread")

    def __init__(self, thread, target):
        object.__setattr__(self, "_thread", thread)
        object.__setattr__(self, "_target", target)

    def _wrap(self, value):
        if isinstance(value, list):
            return [self._wrap(item) for item in value]
        if callable(value) or type(value).__module__.startswith("playwright."):
            return Remote(self._thread, value)
        return value

    def __getattr__(self, name):
        return self._wrap(self._thread.call(getattr, self._target, name))

    def __call__(self, *args, **kwargs):
        return self._wrap(self._thread.call(self._target, *args, **kwargs))

    def __enter__(self):
        return self._wrap(self._thread.call(self._target.__enter__))

    def __exit__(self, *exc_info):
        return self._thread.call(self._target.__exit__, *exc_info)

    def __len__(self):
        return self._thread.call(len, self._target)

    def __repr__(self):
        return f"Remote({self._target!r})"
