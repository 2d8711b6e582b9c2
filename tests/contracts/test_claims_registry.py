"""The ClaimsRegistry contract: every adapter of the port passes the same tests."""

from __future__ import annotations

from abc import ABC, abstractmethod

import pytest

from function_app.adapters.claims.memory import MemoryClaimsRegistry
from function_app.domain.claims.origin import ClaimOrigin
from function_app.service_layer.claims.ports import AcceptedClaim, ClaimsRegistry
from tests.contracts import on_azurite


def accepted(number: str, origin: str = "sha1#2") -> AcceptedClaim:
    return AcceptedClaim(number, "h-" + number, ClaimOrigin.parse(origin), "VSC7000001")


class ClaimsRegistryContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> ClaimsRegistry: ...

    @pytest.fixture
    def registry(self, request: pytest.FixtureRequest) -> ClaimsRegistry:
        return self.make(request)

    def test_accepted_claims_are_found_by_number(self, registry: ClaimsRegistry) -> None:
        assert registry.load("ADM-01", ["CLM-1"]) == {}
        assert registry.add("ADM-01", [accepted("CLM-1"), accepted("CLM-2")]) == []
        assert registry.load("ADM-01", ["CLM-2", "CLM-3", "CLM-1"]) == {"CLM-1": accepted("CLM-1"),
                                                                         "CLM-2": accepted("CLM-2")}

    def test_claim_numbers_are_per_administrator(self, registry: ClaimsRegistry) -> None:
        registry.add("ADM-01", [accepted("CLM-1")])
        assert registry.load("ADM-02", ["CLM-1"]) == {}
        assert registry.add("ADM-02", [accepted("CLM-1", "sha9#1")]) == []
        assert registry.load("ADM-02", ["CLM-1"]) == {"CLM-1": accepted("CLM-1", "sha9#1")}
        assert registry.load("ADM-01", ["CLM-1"]) == {"CLM-1": accepted("CLM-1")}

    def test_the_same_origin_again_is_a_retry_another_origin_finds_it_taken(self, registry: ClaimsRegistry) -> None:
        registry.add("ADM-01", [accepted("CLM-1")])
        assert registry.add("ADM-01", [accepted("CLM-1"), accepted("CLM-2")]) == []
        assert registry.add("ADM-01", [accepted("CLM-3", "sha2#1"), accepted("CLM-1", "sha2#2")]) == ["CLM-1"]
        assert registry.load("ADM-01", ["CLM-1", "CLM-3"]) == {"CLM-1": accepted("CLM-1"),
                                                               "CLM-3": accepted("CLM-3", "sha2#1")}

    def test_many_claims_at_once_some_of_them_taken(self, registry: ClaimsRegistry) -> None:
        registry.add("ADM-01", [accepted(f"CLM-{i:04d}", "first#1") for i in range(0, 300, 3)])
        taken = registry.add("ADM-01", [accepted(f"CLM-{i:04d}", "second#1") for i in range(300)])
        assert sorted(taken) == [f"CLM-{i:04d}" for i in range(0, 300, 3)]
        found = registry.load("ADM-01", [f"CLM-{i:04d}" for i in range(300)])
        assert len(found) == 300
        assert (str(found["CLM-0003"].origin), str(found["CLM-0004"].origin)) == ("first#1", "second#1")

    def test_claims_are_found_by_contract_and_deleted_by_number(self, registry: ClaimsRegistry) -> None:
        on = {"CLM-1": "VSC1", "CLM-2": "VSC2", "CLM-3": "VSC1"}
        registry.add("ADM-01", [AcceptedClaim(n, "h", ClaimOrigin.parse("f#1"), c) for n, c in on.items()])
        registry.add("ADM-02", [AcceptedClaim("CLM-1", "h", ClaimOrigin.parse("g#1"), "VSC1")])
        found = registry.of_contracts({"VSC1"})
        assert sorted((admin, claim.claim_number) for admin, claim in found) == [
            ("ADM-01", "CLM-1"), ("ADM-01", "CLM-3"), ("ADM-02", "CLM-1")]
        registry.delete("ADM-01", ["CLM-1", "CLM-3", "CLM-9"])  # one number never held
        registry.delete("ADM-01", ["CLM-1"])  # again: nothing there, nothing raised
        assert registry.load("ADM-01", ["CLM-1", "CLM-2", "CLM-3"]) == {"CLM-2": registry.load("ADM-01", ["CLM-2"])[
            "CLM-2"]}
        assert [(a, c.claim_number) for a, c in registry.of_contracts({"VSC1"})] == [("ADM-02", "CLM-1")]
        assert registry.of_contracts(set()) == []


class TestClaimsRegistryInMemory(ClaimsRegistryContract):
    def make(self, request: pytest.FixtureRequest) -> ClaimsRegistry:
        return MemoryClaimsRegistry()


class TestClaimsRegistryOnAzurite(ClaimsRegistryContract):
    def make(self, request: pytest.FixtureRequest) -> ClaimsRegistry:
        return on_azurite.claims_registry(on_azurite.namespace(request))
