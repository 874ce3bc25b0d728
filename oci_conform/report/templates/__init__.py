"""Jinja2 template, CSS and script of the HTML report (a package so they ship as package data)."""
