variable "name_prefix" {
  description = "Prefix of every resource name; the tables become <prefix>-predictions and <prefix>-models (config/gras.yaml dynamodb.*Table)."
  type        = string
  default     = "gras"
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
