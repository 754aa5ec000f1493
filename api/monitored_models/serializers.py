"""Monitored ML models (the models the console watches, not Django models) and their impact rules."""

from __future__ import annotations

from rest_framework import serializers

from incidents.models import ImpactRule, MonitoredModel


class ImpactRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImpactRule
        fields = [
            "metric",
            "direction",
            "baseline",
            "step",
            "customers_per_step",
            "revenue_per_step",
            "unit_label",
            "description",
        ]


class MonitoredModelSerializer(serializers.ModelSerializer):
    """A watched model; expects impact_rules prefetched."""

    impact_rules = ImpactRuleSerializer(many=True)

    class Meta:
        model = MonitoredModel
        fields = [
            "slug",
            "name",
            "team",
            "business_function",
            "risk_tier",
            "current_version",
            "description",
            "is_active",
            "impact_rules",
        ]
