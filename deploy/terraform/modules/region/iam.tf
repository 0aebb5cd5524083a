# The nodes' instance role: read this region's secrets, claim an elastic IP of its own pool,
# name its data volume, fetch the release tarball, and be reachable by SSM Session Manager
# (no SSH).
# IAM is global: no region argument; names carry the region.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  partition     = data.aws_partition.current.partition
  account       = data.aws_caller_identity.current.account_id
  ssm_arn       = "arn:${local.partition}:ssm:${var.aws_region}:${local.account}:parameter${var.ssm_prefix}"
  artifact_s3   = startswith(var.artifact_url, "s3://") ? trimprefix(var.artifact_url, "s3://") : null
  ec2_resources = "arn:${local.partition}:ec2:${var.aws_region}:${local.account}"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "node" {
  statement {
    sid     = "Secrets"
    actions = ["ssm:GetParametersByPath", "ssm:GetParameters", "ssm:GetParameter"]
    resources = [
      "${local.ssm_arn}/common",
      "${local.ssm_arn}/common/*",
      "${local.ssm_arn}/${var.name}",
      "${local.ssm_arn}/${var.name}/*",
    ]
  }

  statement {
    sid       = "FindPoolAddresses"
    actions   = ["ec2:DescribeAddresses"]
    resources = ["*"]
  }

  statement {
    sid       = "ClaimPoolAddress"
    actions   = ["ec2:AssociateAddress"]
    resources = ["${local.ec2_resources}:elastic-ip/*", "${local.ec2_resources}:instance/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/llm-edge:eip-pool"
      values   = [var.eip_pool_tag]
    }
  }

  statement {
    sid       = "NameDataVolume"
    actions   = ["ec2:CreateTags"]
    resources = ["${local.ec2_resources}:volume/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/llm-edge:region"
      values   = [var.name]
    }
  }

  dynamic "statement" {
    for_each = local.artifact_s3 == null ? [] : [local.artifact_s3]

    content {
      sid       = "ReleaseTarball"
      actions   = ["s3:GetObject"]
      resources = ["arn:${local.partition}:s3:::${statement.value}"]
    }
  }
}

resource "aws_iam_role" "node" {
  name               = "llm-edge-${var.name}-node"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "node" {
  name   = "llm-edge-node"
  role   = aws_iam_role.node.id
  policy = data.aws_iam_policy_document.node.json
}

resource "aws_iam_role_policy_attachment" "ssm_core" {
  role       = aws_iam_role.node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "node" {
  name = "llm-edge-${var.name}-node"
  role = aws_iam_role.node.name
  tags = local.tags
}
