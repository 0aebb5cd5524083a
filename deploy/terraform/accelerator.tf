# Optional anycast entry (global_accelerator = true): two static IPv4 addresses announced from
# AWS's edge; a client's TCP connection enters AWS at the nearest edge and goes to the nearest
# healthy region's load balancer (health = its /readyz targets). Client IP preservation keeps
# the caller's address for the node's GeoIP placement and audit (it needs load balancers with
# security groups, which the region module gives them). DNS geolocation does not apply to the
# anycast addresses: callers are placed by the node itself (docs/residency.md).

locals {
  accelerated = { for name, r in local.regions : name => r if var.global_accelerator }
  ga_ports    = toset([for r in values(local.accelerated) : tostring(r.client_port)])
}

resource "aws_globalaccelerator_accelerator" "this" {
  count    = var.global_accelerator ? 1 : 0
  provider = aws.global_accelerator

  name            = "llm-edge"
  ip_address_type = "IPV4"
  enabled         = true
}

resource "aws_globalaccelerator_listener" "client" {
  for_each = local.ga_ports
  provider = aws.global_accelerator

  accelerator_arn = aws_globalaccelerator_accelerator.this[0].id
  protocol        = "TCP"
  client_affinity = "SOURCE_IP"

  port_range {
    from_port = tonumber(each.key)
    to_port   = tonumber(each.key)
  }
}

resource "aws_globalaccelerator_endpoint_group" "region" {
  for_each = local.accelerated
  provider = aws.global_accelerator

  listener_arn          = aws_globalaccelerator_listener.client[tostring(each.value.client_port)].id
  endpoint_group_region = each.value.aws_region

  endpoint_configuration {
    endpoint_id                    = module.region[each.key].lb_arn
    client_ip_preservation_enabled = true
    weight                         = 128
  }
}
