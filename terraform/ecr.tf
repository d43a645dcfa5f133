resource "aws_ecr_repository" "gras" {
  name                 = "${var.name_prefix}-forecast"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }

  tags = var.tags
}
