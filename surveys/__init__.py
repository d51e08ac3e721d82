"""Co-design (一区一策) and satisfaction surveys: a pure engine, and the services around it."""
