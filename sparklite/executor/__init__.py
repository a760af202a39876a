"""The executor process: runs tasks for one application, serves its shuffle files and blocks."""
