output "topic_arn" {
  description = "ARN of the SNS topic carrying failure notifications and alarms."
  value       = aws_sns_topic.failures.arn
}

output "topic_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the topic."
  value       = aws_kms_key.topic.arn
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms, by name."
  value = merge(
    { for k, a in aws_cloudwatch_metric_alarm.execution : a.alarm_name => a.arn },
    { (aws_cloudwatch_metric_alarm.dead_letters.alarm_name) = aws_cloudwatch_metric_alarm.dead_letters.arn },
  )
}
