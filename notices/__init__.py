"""What residents are told: the outbox, the WeChat sender, the subscription record."""
