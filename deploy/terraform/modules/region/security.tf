# Three listeners, three audiences (tests/deploy/check.mjs holds these rules to the configs):
#   client port      the world, through the network load balancer (client IPs preserved,
#                    so the node's GeoIP placement and audit see the real caller)
#   federation port  the elastic IPs of every region's nodes, nothing else
#   admin port       the region's own load balancer only, for GET /readyz; operators reach
#                    the admin API through SSM Session Manager port forwarding
# No SSH: there is no port 22 rule and no key pair.

resource "aws_security_group" "lb" {
  region      = var.aws_region
  name        = "llm-edge-${var.name}-lb"
  description = "llm-edge ${var.name}: the client port from anywhere"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "llm-edge-${var.name}-lb" })
}

resource "aws_vpc_security_group_ingress_rule" "lb_client_ipv4" {
  region            = var.aws_region
  security_group_id = aws_security_group.lb.id
  description       = "llm-edge client API from anywhere"
  ip_protocol       = "tcp"
  from_port         = var.client_port
  to_port           = var.client_port
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "lb_to_client" {
  region                       = var.aws_region
  security_group_id            = aws_security_group.lb.id
  description                  = "forward client connections to the nodes"
  ip_protocol                  = "tcp"
  from_port                    = var.client_port
  to_port                      = var.client_port
  referenced_security_group_id = aws_security_group.node.id
}

resource "aws_vpc_security_group_egress_rule" "lb_to_readyz" {
  region                       = var.aws_region
  security_group_id            = aws_security_group.lb.id
  description                  = "health checks: GET /readyz on the admin listener"
  ip_protocol                  = "tcp"
  from_port                    = var.admin_port
  to_port                      = var.admin_port
  referenced_security_group_id = aws_security_group.node.id
}

resource "aws_security_group" "node" {
  region      = var.aws_region
  name        = "llm-edge-${var.name}-node"
  description = "llm-edge ${var.name} nodes: client and health checks from the load balancer, gossip from peers"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "llm-edge-${var.name}-node" })
}

resource "aws_vpc_security_group_ingress_rule" "node_client" {
  region                       = var.aws_region
  security_group_id            = aws_security_group.node.id
  description                  = "client API through the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.client_port
  to_port                      = var.client_port
  referenced_security_group_id = aws_security_group.lb.id
}

resource "aws_vpc_security_group_ingress_rule" "node_readyz" {
  region                       = var.aws_region
  security_group_id            = aws_security_group.node.id
  description                  = "load balancer health checks (GET /readyz) on the admin listener"
  ip_protocol                  = "tcp"
  from_port                    = var.admin_port
  to_port                      = var.admin_port
  referenced_security_group_id = aws_security_group.lb.id
}

resource "aws_vpc_security_group_ingress_rule" "node_federation" {
  for_each = { for slot, cidr in var.federation_peer_cidrs : slot => cidr if var.federation_port != null }

  region            = var.aws_region
  security_group_id = aws_security_group.node.id
  description       = "gossip from an llm-edge node"
  ip_protocol       = "tcp"
  from_port         = var.federation_port
  to_port           = var.federation_port
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "node_any" {
  region            = var.aws_region
  security_group_id = aws_security_group.node.id
  description       = "providers, peers, package mirrors, SSM"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}
