"""Tests of the integrations, one folder each, mirroring src/hotwash/integrations/."""
