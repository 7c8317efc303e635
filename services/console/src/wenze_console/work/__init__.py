"""我的工作: the signed-in office's open tasks in review, with claim and reassign."""
