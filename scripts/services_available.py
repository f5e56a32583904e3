"""Exit 0 when the PostgreSQL and Redis named on the command line answer, 1 otherwise."""

import asyncio
import sys


async def postgres_answers(url: str) -> bool:
    import asyncpg

    try:
        connection = await asyncio.wait_for(asyncpg.connect(url), timeout=5)
    except (OSError, TimeoutError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        print(f"postgres not available: {error}", file=sys.stderr)
        return False
    await connection.close()
    return True


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=5).ping())
    except (OSError, ValueError, redis.RedisError) as error:
        print(f"redis not available: {error}", file=sys.stderr)
        return False


if __name__ == "__main__":
    pg_url, redis_url = sys.argv[1], sys.argv[2]
    ok = asyncio.run(postgres_answers(pg_url)) and redis_answers(redis_url)
    sys.exit(0 if ok else 1)
