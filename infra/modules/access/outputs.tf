output "uploader_user_name" {
  description = "Name of user A, who uploads to bucket A (create its access key with `aws iam create-access-key`)."
  value       = aws_iam_user.uploader.name
}

output "uploader_user_arn" {
  description = "ARN of user A."
  value       = aws_iam_user.uploader.arn
}

output "reader_user_name" {
  description = "Name of user B, who reads bucket B."
  value       = aws_iam_user.reader.name
}

output "reader_user_arn" {
  description = "ARN of user B."
  value       = aws_iam_user.reader.arn
}
