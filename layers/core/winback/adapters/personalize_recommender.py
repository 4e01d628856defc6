"""Recommendations from an Amazon Personalize campaign, with the popularity recommender as fallback.

A message is never held back for a recommendation: any Personalize error (throttling past
botocore's retries, a deleted campaign, a user Personalize does not know) falls back to popularity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from winback.adapters import clients
from winback.domain.audience.recommendations import PopularityRecommender, Recommendation, Recommender

if TYPE_CHECKING:
    from mypy_boto3_personalize_runtime import PersonalizeRuntimeClient

    from winback.config.segments import RecommendationsConfig
    from winback.models.population import PopulationStats
    from winback.models.profile import Profile

MAX_RESULTS = 500  # Personalize's numResults limit
# A Powertools child logger: it writes through the handler's Logger (winback.runtime.observability) without
# importing it, since that module also creates Metrics, which fixes its namespace at import.
logger = Logger(child=True)


class PersonalizeRecommender:
    def __init__(
        self, campaign_arn: str, fallback: Recommender, client: PersonalizeRuntimeClient | None = None
    ) -> None:
        self.campaign_arn = campaign_arn
        self.fallback = fallback
        self._client = client

    def recommend(self, profile: Profile, count: int) -> list[Recommendation]:
        if count <= 0:
            return []
        bought = set(profile.bought_items)
        client = self._client or clients.personalize_runtime()
        try:
            reply = client.get_recommendations(
                campaignArn=self.campaign_arn,
                userId=profile.user_id,
                # Ask for enough that filtering out bought items still leaves `count`.
                numResults=min(count + len(bought), MAX_RESULTS),
            )
        except (ClientError, BotoCoreError) as error:
            code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
            logger.warning(
                "personalize failed; using popularity",
                extra={"code": code or type(error).__name__},
            )
            return self.fallback.recommend(profile, count)
        chosen: list[Recommendation] = []
        for predicted in reply.get("itemList", []):
            item_id = predicted.get("itemId")
            if item_id and item_id not in bought and all(r.item_id != item_id for r in chosen):
                chosen.append(Recommendation(item_id, profile.item_category.get(item_id), "personalized"))
            if len(chosen) == count:
                return chosen
        # Too few (a new campaign, a cold user): top up from popularity.
        taken = {r.item_id for r in chosen}
        extra = [r for r in self.fallback.recommend(profile, count + len(taken)) if r.item_id not in taken]
        return chosen + extra[: count - len(chosen)]


def recommender_for(config: RecommendationsConfig, stats: PopulationStats | None) -> Recommender:
    popularity = PopularityRecommender(stats)
    if config.provider == "personalize" and config.personalize_campaign_arn:
        return PersonalizeRecommender(config.personalize_campaign_arn, fallback=popularity)
    return popularity
