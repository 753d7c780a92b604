// Package deploy holds the container build of beian (deploy/Dockerfile) and
// the tests of it and of ../docker-compose.yml. It has no code of its own.
package deploy
