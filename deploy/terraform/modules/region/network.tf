# A VPC of public subnets, one per zone. Nodes get a public address at launch (for cloud-init's
# downloads) and swap it for an elastic IP of the region's pool at boot, so the other regions
# know every address gossip can come from: the federation port's security group lists them.
data "aws_availability_zones" "this" {
  region = var.aws_region
  state  = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  zones = slice(data.aws_availability_zones.this.names, 0, min(var.az_count, length(data.aws_availability_zones.this.names)))
  tags  = merge(var.tags, { "llm-edge:region" = var.name })
}

resource "aws_vpc" "this" {
  region               = var.aws_region
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(local.tags, { Name = "llm-edge-${var.name}" })
}

resource "aws_internet_gateway" "this" {
  region = var.aws_region
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "llm-edge-${var.name}" })
}

resource "aws_subnet" "public" {
  for_each = { for i, zone in local.zones : zone => i }

  region                  = var.aws_region
  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = cidrsubnet(var.vpc_cidr, 4, each.value)
  map_public_ip_on_launch = true
  tags                    = merge(local.tags, { Name = "llm-edge-${var.name}-${each.key}" })
}

resource "aws_route_table" "public" {
  region = var.aws_region
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "llm-edge-${var.name}-public" })
}

resource "aws_route" "internet" {
  region                 = var.aws_region
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each = aws_subnet.public

  region         = var.aws_region
  subnet_id      = each.value.id
  route_table_id = aws_route_table.public.id
}
