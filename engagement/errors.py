"""Domain errors raised by services; mapped to HTTP once, in engagement.http_errors."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInput(DomainError):
    status_code = 400


class NotAuthenticated(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class TooManyRequests(DomainError):
    status_code = 429

    def __init__(self, detail: str, retry_after: int, **extra: object) -> None:
        super().__init__(detail, **extra)
        self.retry_after = max(1, int(retry_after))


class ServiceUnavailable(DomainError):
    """A service the request needs (the database, Redis, the upload storage) is briefly unavailable."""

    status_code = 503

    def __init__(self, detail: str, retry_after: int = 30, **extra: object) -> None:
        super().__init__(detail, **extra)
        self.retry_after = max(1, int(retry_after))
