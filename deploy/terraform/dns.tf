# Client entry names in a public Route 53 zone (when dns_zone_id and dns_name are set):
#   <dns_name>                 geolocation: callers in a pinned jurisdiction's countries (the EU
#                              27 by default) -> <jurisdiction>.<dns_name>; everyone else ->
#                              latency.<dns_name>
#   <jurisdiction>.<dns_name>  latency-based across that jurisdiction's regions (eu.<dns_name>)
#   latency.<dns_name>         latency-based across every region
#   <region>.<dns_name>        one region's load balancer
# Every latency record carries its region's health check (a node answers /readyz), so an
# unhealthy region drops out of the answers.

locals {
  dns_enabled = var.dns_zone_id != null && var.dns_name != null

  # Pinned jurisdictions that have regions of their own, and their countries.
  geo_jurisdictions = {
    for j, spec in local.jurisdictions : j => spec
    if try(spec.pinned, false) && anytrue([for r in values(local.regions) : r.jurisdiction == j])
  }
  geo_countries = merge([
    for j, spec in local.geo_jurisdictions : { for country in spec.countries : country => j }
  ]...)
  jurisdiction_regions = { for name, r in local.regions : name => r if contains(keys(local.geo_jurisdictions), r.jurisdiction) }

  dns_regions = { for name, r in local.regions : name => r if local.dns_enabled }
}

resource "aws_route53_record" "region" {
  for_each = local.dns_regions

  zone_id = var.dns_zone_id
  name    = "${each.key}.${var.dns_name}"
  type    = "A"

  alias {
    name                   = module.region[each.key].lb_dns_name
    zone_id                = module.region[each.key].lb_zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "latency" {
  for_each = local.dns_regions

  zone_id         = var.dns_zone_id
  name            = "latency.${var.dns_name}"
  type            = "A"
  set_identifier  = each.key
  health_check_id = module.region[each.key].health_check_id

  latency_routing_policy {
    region = each.value.aws_region
  }

  alias {
    name                   = module.region[each.key].lb_dns_name
    zone_id                = module.region[each.key].lb_zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "jurisdiction" {
  for_each = { for name, r in local.jurisdiction_regions : name => r if local.dns_enabled }

  zone_id         = var.dns_zone_id
  name            = "${lower(each.value.jurisdiction)}.${var.dns_name}"
  type            = "A"
  set_identifier  = each.key
  health_check_id = module.region[each.key].health_check_id

  latency_routing_policy {
    region = each.value.aws_region
  }

  alias {
    name                   = module.region[each.key].lb_dns_name
    zone_id                = module.region[each.key].lb_zone_id
    evaluate_target_health = true
  }
}

# With jurisdiction_failover = false a country's answer never leaves its jurisdiction's
# regions: the alias does not evaluate their health, so Route 53 does not fall back to the
# default record (if all of them are down, the latency set answers with all of them).
resource "aws_route53_record" "geo_country" {
  for_each = { for country, j in local.geo_countries : country => j if local.dns_enabled }

  zone_id        = var.dns_zone_id
  name           = var.dns_name
  type           = "A"
  set_identifier = "country-${each.key}"

  geolocation_routing_policy {
    country = each.key
  }

  alias {
    name                   = "${lower(each.value)}.${var.dns_name}"
    zone_id                = var.dns_zone_id
    evaluate_target_health = var.jurisdiction_failover
  }

  depends_on = [aws_route53_record.jurisdiction]
}

resource "aws_route53_record" "geo_default" {
  count = local.dns_enabled ? 1 : 0

  zone_id        = var.dns_zone_id
  name           = var.dns_name
  type           = "A"
  set_identifier = "default"

  geolocation_routing_policy {
    country = "*"
  }

  alias {
    name                   = "latency.${var.dns_name}"
    zone_id                = var.dns_zone_id
    evaluate_target_health = true
  }

  depends_on = [aws_route53_record.latency]
}

resource "aws_route53_record" "anycast" {
  count = local.dns_enabled && var.global_accelerator ? 1 : 0

  zone_id = var.dns_zone_id
  name    = "anycast.${var.dns_name}"
  type    = "A"

  alias {
    name                   = aws_globalaccelerator_accelerator.this[0].dns_name
    zone_id                = aws_globalaccelerator_accelerator.this[0].hosted_zone_id
    evaluate_target_health = true
  }
}
