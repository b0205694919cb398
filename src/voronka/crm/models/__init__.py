"""The CRM's models; imported from their own modules everywhere else."""

from voronka.crm.models.clients import Company, Contact
from voronka.crm.models.communications import Communication
from voronka.crm.models.config import ConfigVersion
from voronka.crm.models.custom_fields import CustomField
from voronka.crm.models.deals import Deal
from voronka.crm.models.history import StageHistory
from voronka.crm.models.leads import Lead
from voronka.crm.models.pipelines import Pipeline, Source, Stage
from voronka.crm.models.products import Product, ProductRow
from voronka.crm.models.recycle import RecycleBinEntry
from voronka.crm.models.settings import CrmSettings
from voronka.crm.models.timeline import TimelineEntry

__all__ = [
    "Communication",
    "Company",
    "ConfigVersion",
    "Contact",
    "CrmSettings",
    "CustomField",
    "Deal",
    "Lead",
    "Pipeline",
    "Product",
    "ProductRow",
    "RecycleBinEntry",
    "Source",
    "Stage",
    "StageHistory",
    "TimelineEntry",
]
