# The nodes: an autoscaling group across the zones, launched from a template whose cloud-init
# writes the region's config and runs bootstrap.sh, which installs the release tarball (binary,
# systemd unit, logrotate file) and starts llm-edge. A change of config or tarball makes a new
# template version, which the group rolls out node by node (instance refresh) behind the
# /readyz health check.

data "aws_ami" "debian" {
  count = var.ami_id == null ? 1 : 0

  region      = var.aws_region
  owners      = ["136693986144"] # Debian's cloud team
  most_recent = true

  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }

  filter {
    name   = "architecture"
    values = ["x86_64"]
  }
}

locals {
  ami_id = var.ami_id != null ? var.ami_id : data.aws_ami.debian[0].id

  # The config the service runs: a small file that includes the region's file from the
  # repository (shipped verbatim, so `check` errors name its lines) and sets what differs on
  # an AWS node (instance.yaml.tftpl). bootstrap.sh writes the per-node environment.
  instance_config_path = replace(var.region_file, "/\\.yaml$/", ".instance.yaml")
  instance_config = templatefile("${path.module}/instance.yaml.tftpl", {
    name            = var.name
    region_file     = basename(var.region_file)
    admin_port      = var.admin_port
    federation_port = var.federation_port
    access_log      = var.access_log
  })

  bootstrap_env = join("\n", [
    "REGION=${var.name}",
    "AWS_REGION=${var.aws_region}",
    "ARTIFACT_URL=${var.artifact_url}",
    "ARTIFACT_SHA256=${var.artifact_sha256}",
    "SSM_PREFIX=${var.ssm_prefix}",
    "CONFIG_PATH=${local.instance_config_path}",
    "EIP_POOL_TAG=${var.eip_pool_tag}",
    "FEDERATION_PORT=${var.federation_port == null ? "" : var.federation_port}",
    "",
  ])

  user_data = templatefile("${path.module}/cloud-init.yaml.tftpl", {
    name          = var.name
    bootstrap     = file("${path.module}/bootstrap.sh")
    bootstrap_env = local.bootstrap_env
    config_files  = merge(var.config_files, { (local.instance_config_path) = local.instance_config })
  })
}

resource "aws_launch_template" "node" {
  region                 = var.aws_region
  name_prefix            = "llm-edge-${var.name}-"
  image_id               = local.ami_id
  instance_type          = var.instance_type
  update_default_version = true
  user_data              = base64gzip(local.user_data)
  tags                   = local.tags

  iam_instance_profile {
    arn = aws_iam_instance_profile.node.arn
  }

  network_interfaces {
    associate_public_ip_address = true
    delete_on_termination       = true
    security_groups             = [aws_security_group.node.id]
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_type           = "gp3"
      volume_size           = 30
      encrypted             = true
      delete_on_termination = true
    }
  }

  # The data volume: bootstrap.sh formats it once and mounts it at /var/lib/llm-edge. It stays
  # when the node goes, so the ledger and the audit chain of a replaced node can be exported.
  block_device_mappings {
    device_name = "/dev/sdf"

    ebs {
      volume_type           = "gp3"
      volume_size           = var.data_volume_gb
      encrypted             = true
      delete_on_termination = false
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.tags, { Name = "llm-edge-${var.name}", "llm-edge:eip-pool" = var.eip_pool_tag })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = local.tags
  }

  lifecycle {
    precondition {
      condition     = length(base64gzip(local.user_data)) <= 16384 * 4 / 3
      error_message = "The cloud-init user data of ${var.name} exceeds EC2's 16 KiB even gzipped: move large included files to SSM (PREFIX/${var.name}/files/...)."
    }
  }
}

resource "aws_autoscaling_group" "node" {
  region                    = var.aws_region
  name                      = "llm-edge-${var.name}"
  min_size                  = var.min_size
  max_size                  = var.max_size
  vpc_zone_identifier       = [for s in aws_subnet.public : s.id]
  target_group_arns         = [aws_lb_target_group.client.arn]
  health_check_type         = "ELB"
  health_check_grace_period = 300
  default_instance_warmup   = 120
  wait_for_capacity_timeout = "15m"

  launch_template {
    id      = aws_launch_template.node.id
    version = aws_launch_template.node.latest_version
  }

  # Replace nodes one by one when the template changes; a node leaves only after its
  # successor answers /readyz. Terminate-before-launch keeps the elastic IP pool sufficient.
  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage = 50
      max_healthy_percentage = 100
    }
  }

  dynamic "tag" {
    for_each = merge(local.tags, { Name = "llm-edge-${var.name}", "llm-edge:eip-pool" = var.eip_pool_tag })

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  lifecycle {
    precondition {
      condition     = var.min_size >= 1 && var.min_size <= var.max_size
      error_message = "min_size of ${var.name} must be between 1 and max_size."
    }
  }
}
