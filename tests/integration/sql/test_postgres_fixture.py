import sqlalchemy as sa


def test_postgres_server_accepts_queries(postgres_server):
    url = postgres_server.create_database("fixture_check")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select 1")).scalar_one() == 1
    engine.dispose()
