"""The statistics API in the OpenAPI schema: every route, every figure with its written definition."""

from __future__ import annotations

from analytics.definitions import DATASETS

ROUTES = ["/api/v1/statistics/adoption", "/api/v1/statistics/mailbox", "/api/v1/statistics/events",
          "/api/v1/statistics/export", "/api/v1/statistics/reports", "/api/v1/statistics/reports/{report_id}",
          "/api/v1/statistics/reports/{report_id}/export", "/api/v1/statistics/reports/{report_id}/publish"]


async def test_every_route_and_definition_is_in_the_schema(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert set(ROUTES) <= set(schema["paths"])
    components = schema["components"]["schemas"]
    for dataset, row in (("adoption", "AdoptionRow"), ("mailbox", "MailboxRow"), ("events", "EventRow")):
        properties = components[row]["properties"]
        for field, definition in DATASETS[dataset].items():
            assert properties[field]["description"] == definition, (row, field)
    by = schema["paths"]["/api/v1/statistics/adoption"]["get"]["parameters"]
    assert next(p for p in by if p["name"] == "by")["schema"]["enum"] == ["department", "topic", "month", "consultation"]
    publish = schema["paths"]["/api/v1/statistics/reports/{report_id}/publish"]["post"]["responses"]
    assert {"200", "401", "403", "404", "409"} <= set(publish)
