# A network load balancer across the zones: TCP passthrough of the client port (TLS, when the
# config sets node.tls, ends on the node), client addresses preserved, targets checked with
# GET /readyz on the admin listener (a node answers 200 once it serves, 503 while its ledger
# fails).

resource "aws_lb" "this" {
  region                           = var.aws_region
  name                             = "llm-edge-${var.name}"
  load_balancer_type               = "network"
  internal                         = false
  subnets                          = [for s in aws_subnet.public : s.id]
  security_groups                  = [aws_security_group.lb.id]
  enable_cross_zone_load_balancing = true
  tags                             = local.tags
}

resource "aws_lb_target_group" "client" {
  region               = var.aws_region
  name                 = "llm-edge-${var.name}"
  port                 = var.client_port
  protocol             = "TCP"
  target_type          = "instance"
  vpc_id               = aws_vpc.this.id
  preserve_client_ip   = true
  deregistration_delay = var.drain_seconds
  tags                 = local.tags

  # HTTPS when the config gives the admin listener TLS (node.admin_tls); the load balancer
  # does not verify the certificate.
  health_check {
    protocol            = can(var.config.node.admin_tls.cert) ? "HTTPS" : "HTTP"
    port                = tostring(var.admin_port)
    path                = "/readyz"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  # A client stream outlives a deregistration by at most drain_seconds; the node itself
  # finishes in-flight streams on SIGTERM.
  connection_termination = true
}

resource "aws_lb_listener" "client" {
  region            = var.aws_region
  load_balancer_arn = aws_lb.this.arn
  port              = var.client_port
  protocol          = "TCP"
  tags              = local.tags

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.client.arn
  }
}
