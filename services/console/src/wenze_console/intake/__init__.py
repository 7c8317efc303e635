"""受理登记: one matter from a form, bulk import with its progress, acceptance of a matter."""
