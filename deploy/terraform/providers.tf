# One AWS provider configuration for every region. Terraform cannot for_each over provider
# configurations, so the classic pattern is one aliased provider per AWS region and one module
# block per region, written by hand: adding a region then means editing Terraform as well as
# adding its config. The AWS provider 6.0 added a `region` argument to every regional resource
# and data source instead; the region module sets it on each of its resources, and the root
# calls the module with for_each over config/regions/ (regions.tf). Adding a region is one
# YAML file. This configuration's own region only matters for account-level calls.
provider "aws" {
  region = var.home_region

  default_tags {
    tags = var.tags
  }
}

# Global Accelerator's API lives in us-west-2 whatever regions its endpoints are in.
provider "aws" {
  alias  = "global_accelerator"
  region = "us-west-2"

  default_tags {
    tags = var.tags
  }
}
