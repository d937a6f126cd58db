"""A view module of a Flask-SQLAlchemy project: `db` and the models live elsewhere."""
from flask import abort, jsonify

from . import app, db
from .models import Post


@app.route("/posts/<int:post_id>")
def show_post(post_id):
    post = db.session.get(Post, post_id)  # expect: ORM201
    return jsonify(title=post.title)


@app.route("/posts/latest")
def latest():
    post = Post.query.order_by(Post.id.desc()).first()  # expect: ORM201
    return jsonify(title=post.title)


@app.route("/posts/<int:post_id>/author")
def author(post_id):
    post = Post.query.get(post_id)
    if post is None:
        abort(404)
    return jsonify(author=post.author_id)
