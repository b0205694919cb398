"""The CRM core: leads, deals, contacts, companies, pipelines and every rule on them."""
